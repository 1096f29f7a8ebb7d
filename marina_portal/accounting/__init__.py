"""The accountant's exports: the chart of accounts the port sets, the FEC, and plain CSVs of sales and receipts."""
