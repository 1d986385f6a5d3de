"""Read side: the Streamlit dashboard over the analytics layer (the only streamlit importer)."""
