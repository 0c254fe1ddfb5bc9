"""The local customer index: every company's customers and jobs, searchable on every
field without a call to QuickBooks, and kept in step with it in the background."""
