from attache.cli import main

raise SystemExit(main())
