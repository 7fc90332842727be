rule a { condition: defined 1 and not defined (1 \ filesize) }
