"""MQLs vs pipeline: placeholder page (its author replaces this file)."""

import streamlit as st

import ui

ui.header("MQLs vs pipeline", "This page is being built.", ui.dataset_info())
st.info("This page is being built.", icon=":material/construction:")
