// expect: 3:21: wrong usage of identifier "linker_version"
import "pe"
rule a { condition: pe.linker_version }
