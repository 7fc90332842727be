// expect: 2:27: illegal escape sequence
rule a { strings: $a = "ab\q" condition: $a }
