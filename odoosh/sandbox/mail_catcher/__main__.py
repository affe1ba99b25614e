import sys

from odoosh.sandbox.mail_catcher.server import main

sys.exit(main())
