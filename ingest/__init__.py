"""Intake: from raw message bytes to a registered message.

Sources (imap_source, maildir_source, files_source) yield `Incoming` items;
`batch.process_waiting` drains a source through `intake.Intake`, which parses
(parse), classifies (classify, rules), reads forms (forms) and builds the
store record (record) of each message in its own transaction.
"""
