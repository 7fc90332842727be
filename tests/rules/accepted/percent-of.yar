rule a { strings: $a = "abc" $b = "bcd" condition: 50% of them }
