rule a { strings: $a = "abc" condition: #a in (0..100) == 1 }
