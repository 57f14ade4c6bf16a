"""The pure core: plain data and functions, no Google Cloud, no Flask, no network."""
