"""The app's pages, chosen in the sidebar (run by ``streamlit_app.py``)."""

from __future__ import annotations

import streamlit as st

from ._session import describe_error

__all__ = ["main"]

PAGES = ("One system", "Portfolio")


def main() -> None:
    """Draw the page the visitor chose; an unexpected error is shown, never a traceback."""
    st.set_page_config(page_title="idinn", layout="wide")
    st.sidebar.title("idinn")
    page = st.sidebar.radio("Page", PAGES, key="page")
    st.sidebar.caption("Inventory control: neural, classical and exact policies.")
    try:
        if page == "One system":
            from ._single_page import render
        else:
            from ._portfolio_page import render
        render()
    except Exception as exc:  # the app never shows a traceback
        st.error(f"Something went wrong: {describe_error(exc)}")
