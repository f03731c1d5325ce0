"""The yearly report: figures from the store, rendered as HTML, PDF, CSV, JSON, XLSX."""
