"""ui: the ways in — CLI, Streamlit app, REST API, checklist exports."""
