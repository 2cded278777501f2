"""Voice commands while a session plays: the microphone is listened to between coach's own sentences.

commands       the phrases and what each does (pure; the CLI's help text comes from here)
gate           when coach is speaking, so it never obeys its own voice
microphone     ALSA capture at 16 kHz, paced to real time (pyalsaaudio, imported only when listening)
endpoint       where an utterance starts and ends;  voicing: does it hold a voice
backends       the recognizer interface, the table of backends, the choice and its fallback
whisper        Whisper base (faster-whisper): decides;  whisper_model: its weights, joined and verified
grammar        pocketsphinx and a grammar of the phrases: the instant first pass (a provisional stop)
listener       the threads that tie them together and call back with each command heard
recording      the same loop over a recording (coach listen --file, the benchmarks, the tests)
settings       the `listen` settings in the config file
answer         what coach says to "how long"

Nothing heavy here is imported unless listening is on: `coach --help` stays instant.
"""
