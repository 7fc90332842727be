import "pe"
rule a { condition: pe.resources[0].type == 1 and pe.signatures[0].version == 1 }
