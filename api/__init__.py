"""Enlace: conference networking that survives conference Wi-Fi."""
