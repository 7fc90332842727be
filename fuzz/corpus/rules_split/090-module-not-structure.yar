// expect: 3:32: "sections" is not a structure
import "pe"
rule a { condition: pe.sections.name == "x" }
