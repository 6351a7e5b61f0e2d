/// The words the corpus is made of, most frequent first, each in three spellings (lower,
/// Capitalized, UPPER) ready to be copied into the output.
///
/// After ``CommonWords`` come pseudo-words built from syllables: mostly English-looking, some
/// with accents (`café`-like), a few Greek and Cyrillic, so that the counting meets multi-byte
/// letters and case folding beyond ASCII. Letters whose case mapping depends on context or
/// locale (Greek sigma, Turkish dotted I, German sharp s) are left out: Python and Swift would
/// fold them differently, and the two sides' answers are compared.
struct Vocabulary {
    /// Every spelling's UTF-8 bytes, back to back: word i's lower, capitalized and upper forms.
    private(set) var bytes: [UInt8] = []
    /// Where each spelling starts in `bytes`: 3 per word, and one past the end.
    private(set) var starts: [Int] = [0]
    var count: Int { (starts.count - 1) / 3 }

    enum Spelling: Int { case lower = 0, capitalized = 1, upper = 2 }

    /// `size` words (common words first, then pseudo-words in an order drawn from `seed`).
    static func make(size: Int, seed: UInt64) -> Vocabulary {
        var random = SplitMix(seed: seed ^ 0x766F_6361_6275_6C61)
        var vocabulary = Vocabulary()
        var seen = Set<String>()
        for word in CommonWords.list where seen.insert(word).inserted {
            vocabulary.append(word)
        }
        while vocabulary.count < size {
            let word = pseudoWord(&random)
            guard seen.insert(word).inserted, foldsBack(word) else { continue }
            vocabulary.append(word)
        }
        return vocabulary
    }

    /// The byte range of one spelling of word `index`.
    @inline(__always)
    func span(_ index: Int, _ spelling: Spelling) -> Range<Int> {
        let slot = index * 3 + spelling.rawValue
        return starts[slot]..<starts[slot + 1]
    }

    private mutating func append(_ word: String) {
        for spelling in [word, Self.capitalized(word), word.uppercased()] {
            bytes.append(contentsOf: spelling.utf8)
            starts.append(bytes.count)
        }
    }

    static func capitalized(_ word: String) -> String {
        guard let first = word.first else { return word }
        return first.uppercased() + word.dropFirst()
    }

    /// Whether both upper-case spellings lowercase back to the word (so the expected count of
    /// a word does not depend on how it was spelled).
    private static func foldsBack(_ word: String) -> Bool {
        capitalized(word).lowercased() == word && word.uppercased().lowercased() == word
    }

    // Syllables. The Latin ones sometimes take an accent on their vowel.
    private static let onsets = ["", "", "b", "c", "d", "f", "g", "h", "j", "k", "l", "m", "n", "p", "r", "s", "t",
                                 "v", "w", "z", "br", "cr", "dr", "fl", "gr", "pl", "pr", "st", "tr", "ch", "sh",
                                 "th", "qu", "sp", "bl", "cl", "sl", "sn", "str", "wh"]
    private static let nuclei = ["a", "e", "i", "o", "u", "a", "e", "i", "o", "ai", "ea", "ee", "ie", "oo", "ou",
                                 "y", "au", "oi"]
    private static let codas = ["", "", "", "", "n", "r", "s", "t", "l", "m", "nd", "st", "ng", "ck", "rt", "ll",
                                "ss", "x", "sk", "nt", "th", "ve"]
    private static let accented: [Character: [String]] = [
        "a": ["á", "à", "â", "ä", "å"], "e": ["é", "è", "ê", "ë"], "i": ["í", "î", "ï"],
        "o": ["ó", "ô", "ö", "ø"], "u": ["ú", "û", "ü"], "n": ["ñ"], "c": ["ç"],
    ]
    private static let greekConsonants = ["β", "γ", "δ", "ζ", "θ", "κ", "λ", "μ", "ν", "ξ", "π", "ρ", "τ", "φ", "χ",
                                          "ψ"]
    private static let greekVowels = ["α", "ε", "η", "ι", "ο", "υ", "ω", "ά", "έ", "ή", "ί", "ό", "ύ", "ώ"]
    private static let cyrillicConsonants = ["б", "в", "г", "д", "ж", "з", "к", "л", "м", "н", "п", "р", "с", "т",
                                             "ф", "х", "ц", "ч", "ш"]
    private static let cyrillicVowels = ["а", "е", "и", "о", "у", "ы", "я", "ю", "э"]

    private static func pseudoWord(_ random: inout SplitMix) -> String {
        let syllables = [1, 2, 2, 2, 3, 3, 3, 4][random.below(8)]
        let script = random.below(1000)
        if script < 8 {
            return (0..<syllables).map { _ in random.pick(greekConsonants) + random.pick(greekVowels) }.joined()
        }
        if script < 16 {
            return (0..<syllables).map { _ in random.pick(cyrillicConsonants) + random.pick(cyrillicVowels) }
                .joined()
        }
        var word = (0..<syllables).map { _ in random.pick(onsets) + random.pick(nuclei) + random.pick(codas) }
            .joined()
        if script < 80 {
            // An accent on one letter that has accented forms.
            let candidates = word.indices.filter { accented[word[$0]] != nil }
            if !candidates.isEmpty {
                let position = candidates[random.below(candidates.count)]
                word.replaceSubrange(position...position, with: random.pick(accented[word[position]]!))
            }
        }
        return word
    }
}
