rule a { condition: uint8(0) == 0x4d and uint16(0) == 0x5a4d and uint32be(0) > 0 and int8(0) < 1 and int16be(2) != 0 and int32(filesize - 4) != 1 }
