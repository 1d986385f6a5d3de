"""The dashboard pages, run by st.navigation (streamlit_app.py), one thin script each."""
