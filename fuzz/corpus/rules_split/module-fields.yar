import "pe"
import "elf"
rule a { condition: pe.sections[0].name == ".text" and pe.version_info["CompanyName"] == "x" and pe.number_of_sections > 1 and elf.type == elf.ET_EXEC and pe.machine == pe.MACHINE_I386 }
