#!/usr/bin/env python
import os
import sys


def main():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "opsportal.settings")
    if sys.argv[1:2] == ["makemigrations"]:
        # Writing migrations never serves a request: it needs no production secret key.
        os.environ.setdefault("DEBUG", "1")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
