rule a { strings: $a = "abc" condition: any of them in (0..filesize) }
