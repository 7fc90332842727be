rule a { strings: $a = "abc" condition: (101 - 1)% of them and (50)% of ($a) }
