rule a { strings: $a = "abc" condition: none of ($a*) }
