rule a { strings: $ = "abc" $ = "bcd" condition: all of them }
