"""`coach serve`: a local web app for the phone beside the mat.

routines (the library by id), phone (sessions played in the browser, screened and recorded), audio
(the MP3 stream), view (a timeline as the page follows it), security (pairing, cookie, CSRF, headers),
pages (the HTML), app (the routes), server (the socket and uvicorn), remote (a `coach play` session
steered from the page), static/ (the page: app.html; app.js loads common, player, stream and
remote as ES modules; nothing is fetched from elsewhere).
Imported only by `coach serve` and `coach play --remote`: starlette and uvicorn load with it.
"""
