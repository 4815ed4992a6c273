"""One module per section of the report page: the data its template (templates/sections/) shows."""
