"""The coordinator workspace: the cases in a browser and a JSON API beside it.

A thin face over the same store functions the command line uses (one write
path). It imports store/, config/, responder/ (rendering, letters, the yearly
report) and the pure form readers of ingest/; never service/ nor the mail
sources or the intake loop. `klachten web` (service/) builds it with
`web.app.create_app` and serves it with uvicorn.
"""
