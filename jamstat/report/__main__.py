import sys

from jamstat.report.site import main

sys.exit(main())
