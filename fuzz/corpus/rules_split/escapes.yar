rule a { strings: $a = "\t\n\r\"\\\x41\x7f" condition: $a }
