"""Voice commands while a session plays: the microphone is listened to between coach's own sentences.

commands    the phrases and what each does (pure; the CLI's help text comes from here)
gate        when coach is speaking, so it never obeys its own voice
microphone  ALSA capture at 16 kHz, paced to real time (pyalsaaudio, imported only when listening)
recognizer  pocketsphinx: a grammar of the phrases, and a confidence test on its acoustic score
listener    the thread that ties them together and calls back with each command heard
settings    the `listen` settings in the config file
answer      what coach says to "how long"

Nothing here is imported unless listening is on: `coach --help` stays instant.
"""
