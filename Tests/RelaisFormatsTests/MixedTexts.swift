/// Texts for the writers' byte scanners: every length up to `maximumLength`, `perLength`
/// of each, made of `pieces` (characters to escape or quote, and others) among plain
/// letters, which are two thirds of the picks so that whole eight-byte words pass
/// untouched too. The same texts on every run (a fixed linear congruential sequence).
func mixedTexts(of pieces: [String], maximumLength: Int = 40, perLength: Int, seed: UInt64) -> [String] {
    var state = seed
    var texts: [String] = []
    for length in 0...maximumLength {
        for _ in 0..<perLength {
            var text = ""
            for _ in 0..<length {
                state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                let pick = Int(state >> 33) % (pieces.count * 3)
                text += pick < pieces.count ? pieces[pick] : "a"
            }
            texts.append(text)
        }
    }
    return texts
}
