"""The app's pages (ui.app dispatches to them) and what they share (ui.views.common)."""
