"""senderdeck's terminal UI and command line. Importing this package loads no textual."""
