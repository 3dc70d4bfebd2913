import sys

from builder.demo.site import main

sys.exit(main())
