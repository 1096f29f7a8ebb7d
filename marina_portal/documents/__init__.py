"""ESPACE DE TELECHARGEMENT: the files the harbour office publishes."""
