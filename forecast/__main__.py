import sys

from forecast.app.cli import main

sys.exit(main())
