"""The one PCM format inside coach: what both engines produce and everything downstream consumes."""

SAMPLE_RATE = 22050   # Hz; espeak-ng via pyttsx3 and the bundled Piper voice both produce this
SAMPLE_WIDTH = 2      # bytes: signed 16-bit little-endian
CHANNELS = 1


def ms_to_samples(ms: int) -> int:
    return ms * SAMPLE_RATE // 1000


def samples_to_ms(samples: int) -> int:
    return samples * 1000 // SAMPLE_RATE


def samples_to_spoken_ms(samples: int) -> int:
    """How long a clip lasts, in whole ms rounded UP: a cue of that length holds every sample of the
    clip wherever it starts (floor(a + b) - floor(a) >= b for whole b), so nothing is cut."""
    return -(-samples * 1000 // SAMPLE_RATE)
