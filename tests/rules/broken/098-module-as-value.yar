// expect: 3:21: wrong usage of identifier "pe"
import "pe"
rule a { condition: pe }
