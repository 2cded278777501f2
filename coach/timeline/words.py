"""Numbers as spoken words, for countdowns and repetition counts."""

_ONES = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
         "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen",
         "nineteen")
_TENS = ("", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety")


def number_word(n: int) -> str:
    if not 0 <= n < 100:
        raise ValueError(f"no word for {n}")
    if n < 20:
        return _ONES[n]
    tens, ones = divmod(n, 10)
    return _TENS[tens] + ("" if ones == 0 else "-" + _ONES[ones])


def spoken_number(n: int) -> str:
    """'Three.' — capitalised with a full stop, as a cue on its own."""
    word = number_word(n)
    return word[0].upper() + word[1:] + "."
