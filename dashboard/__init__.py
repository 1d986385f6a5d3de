"""Read side of fbss-outcomes: analytics and the Streamlit dashboard."""
