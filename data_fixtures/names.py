"""Names and places the synthetic city draws from.

Frequencies are rough but deliberately skewed: a few very common surnames (de Vries, Jansen,
de Jong) so that different people share surname, given name and sometimes birth date, as in a
real register. Origin groups follow the CBS codes used in the register extract.
"""
from __future__ import annotations

import unicodedata

ORIGINS = ("NL", "MA", "TR", "SR", "ANT", "other")

# (prefix, surname, weight). Weights are relative within an origin group.
SURNAMES: dict[str, list[tuple[str, str, float]]] = {
    "NL": [
        ("de", "Vries", 9), ("", "Jansen", 9), ("de", "Jong", 8), ("van", "Dijk", 6),
        ("", "Bakker", 6), ("", "Visser", 6), ("", "Smit", 6), ("", "Meijer", 5),
        ("de", "Boer", 5), ("", "Mulder", 5), ("de", "Groot", 5), ("", "Bos", 5),
        ("", "Vos", 4), ("", "Peters", 4), ("", "Hendriks", 4), ("van der", "Berg", 4),
        ("van den", "Berg", 4), ("", "Dekker", 4), ("van", "Leeuwen", 3), ("", "Dijkstra", 4),
        ("de", "Wit", 3), ("", "Brouwer", 3), ("de", "Graaf", 3), ("van der", "Meer", 3),
        ("", "Kok", 3), ("", "Jacobs", 3), ("", "Koster", 3), ("van der", "Linden", 2),
        ("", "Postma", 3), ("", "Hoekstra", 3), ("", "Bosma", 3), ("", "Wiersma", 2),
        ("", "Huisman", 3), ("", "Kuipers", 2), ("", "Veenstra", 2), ("", "Boersma", 2),
        ("ter", "Horst", 2), ("", "Zijlstra", 2), ("van", "Wijk", 2), ("", "Schouten", 2),
        ("", "Prins", 2), ("", "Vermeulen", 2), ("van 't", "Hof", 1), ("", "Kramer", 2),
        ("", "Kuiper", 2), ("", "Hofstra", 2), ("", "Smits", 2), ("ten", "Brink", 1),
        ("van", "Beek", 2), ("", "Timmerman", 2), ("", "Wolters", 2), ("", "Bouma", 2),
        ("", "Sikkema", 1), ("", "Tuinstra", 1), ("", "Haan", 1), ("de", "Haan", 2),
        ("", "Mol", 2), ("", "Oosterhof", 1), ("", "Nijboer", 1), ("", "Elzinga", 1),
        ("", "Scholten", 2), ("", "Hovenkamp", 1), ("van", "Zanten", 1), ("", "Molenaar", 2),
        ("", "Noordhuis", 1), ("", "Drenth", 1), ("", "Stoffels", 1), ("van", "Houten", 1),
        ("de", "Ruiter", 1), ("van der", "Veen", 2), ("", "Vrieling", 1), ("", "Heeres", 1),
        ("", "Pruim", 1), ("", "Wierenga", 1), ("", "Zuidema", 1), ("", "Groeneveld", 1),
    ],
    "MA": [
        ("", "Benali", 5), ("", "El Idrissi", 4), ("", "El Amrani", 4), ("", "Bouzid", 3),
        ("", "Ouali", 3), ("", "Aziz", 2), ("", "Ait Ben Ali", 2), ("", "El Khatib", 2),
        ("", "Bakkali", 3), ("", "Azzouz", 2), ("", "Chaoui", 2), ("", "El Hamdaoui", 2),
        ("", "Boukhari", 2), ("", "Tahiri", 2), ("", "Ziani", 2), ("", "Mansouri", 2),
        ("", "Amrani", 2), ("", "Haddouchi", 1), ("", "Essaadi", 1), ("", "Ouchan", 1),
    ],
    "TR": [
        ("", "Yılmaz", 6), ("", "Öztürk", 5), ("", "Çelik", 4), ("", "Şahin", 4),
        ("", "Demir", 5), ("", "Kaya", 5), ("", "Aydın", 4), ("", "Doğan", 3),
        ("", "Kılıç", 3), ("", "Arslan", 3), ("", "Koç", 3), ("", "Güler", 2),
        ("", "Özdemir", 3), ("", "Yıldız", 3), ("", "Erdoğan", 2), ("", "Polat", 2),
        ("", "Aksoy", 2), ("", "Kurt", 2), ("", "Türk", 1), ("", "Keskin", 1),
    ],
    "SR": [
        ("", "Sitaldin", 2), ("", "Ramdin", 2), ("", "Jagroep", 2), ("", "Biharie", 2),
        ("", "Kartosen", 1), ("", "Pinas", 2), ("", "Wijngaarde", 2), ("", "Doekhie", 2),
        ("", "Mahabier", 2), ("", "Sewnath", 1), ("", "Ramsaran", 1), ("", "Bhagwandin", 1),
        ("", "Karsters", 1), ("", "Linger", 1), ("", "Kromodimedjo", 1), ("", "Fränkel", 1),
    ],
    "ANT": [
        ("", "Martina", 3), ("", "Felida", 2), ("", "Isenia", 2), ("", "Rosaria", 2),
        ("", "Cijntje", 2), ("", "Maduro", 2), ("", "Janga", 2), ("", "Winklaar", 1),
        ("", "Croes", 1), ("", "Statia", 1), ("", "Sillé", 1), ("", "Doran", 1),
    ],
    "other": [
        ("", "Nowak", 3), ("", "Kowalski", 2), ("", "Noël", 1), ("", "Müller", 2),
        ("", "Hassan", 3), ("", "Mohamed", 3), ("", "Ahmadi", 2), ("", "Nguyen", 2),
        ("", "Kovač", 1), ("", "Popescu", 1), ("", "Wiśniewski", 1), ("", "Schröder", 1),
        ("", "Ali", 2), ("", "Abdi", 2), ("", "Haile", 1), ("", "Wang", 1),
        ("", "da Silva", 1), ("", "Fernández", 1), ("", "Dubois", 1), ("", "Lefèvre", 1),
        ("", "Rahimi", 1), ("", "Karimi", 1), ("", "Petrović", 1), ("", "Smith", 1),
    ],
}

# A long tail of northern surnames (Hofstra, Wierenga, Veenhuis, ...): real registers have
# tens of thousands of surnames, so a city must not be made of 80 families. The tail takes
# this share of Dutch-origin people, spread thin over root x suffix combinations.
NL_TAIL_SHARE = 0.45
NL_TAIL_ROOTS = [
    "Hof", "Wier", "Zijl", "Bos", "Veen", "Dijk", "Kamp", "Holt", "Brink", "Meer", "Sloot",
    "Wold", "Horn", "Lin", "Elz", "Hoek", "Kooi", "Nij", "Smed", "Tjal", "Wester", "Ooster",
    "Noord", "Zuid", "Heem", "Groen", "Dam", "Molen", "Til", "Vel", "Sikk", "Douw", "Jell",
    "Hett", "Roel", "Sieb", "Tamm", "Wieb", "Epp", "Harm", "Geert", "Klaas", "Pieter", "Jans",
    "Hend", "Ald", "Bart", "Dirk", "Ebb", "Fokk", "Gerl", "Hidd", "Ids", "Jouk", "Lieuw",
    "Menn", "Okk", "Popp", "Reit", "Sjoerd", "Tiet", "Uit", "Wals", "Ykem", "Zand", "Haak",
    "Kuip", "Lok", "Mel", "Nien", "Oost", "Pols", "Raan", "Schol", "Stien", "Ter", "Vlie",
]
NL_TAIL_SUFFIXES = ["stra", "sma", "ma", "inga", "ema", "huis", "ink", "man", "ing", "enga",
                    "ens", "sen", "ker", "hof", "kamp", "veld", "berg", "ga", "nga", "es"]

# Given names by origin and sex; Dutch names also by birth cohort, because a register
# mixes generations (Cornelis, Wilhelmina for the elderly; Daan, Tess for children).
_NL_M = {
    "old": ["Jan", "Cornelis", "Hendrik", "Johannes", "Pieter", "Willem", "Gerrit", "Jacobus",
            "Klaas", "Albertus", "Theodorus", "Antonius", "Franciscus", "Gerardus", "Adrianus",
            "Bernardus", "Nicolaas", "Hendrikus", "Harm", "Roelof", "Geert", "Egbert", "Lambertus",
            "Derk", "Jelle", "Sieger", "Wiebe", "Tjeerd", "Lubbert", "Arend", "Hindrik",
            "Menno", "Jacob", "Freerk"],
    "mid": ["Peter", "Mark", "Jeroen", "Dennis", "Erik", "Marco", "Richard", "Martijn",
            "Bas", "Michiel", "Jan", "Robert", "Arjen", "Wouter", "Sander", "Patrick",
            "Kevin", "Ronald", "Maarten", "Johannes", "Cornelis", "Hendrik", "Remco", "Edwin",
            "Frank", "Rutger", "Gert-Jan", "Jasper", "Hans", "Vincent", "Niels", "Tjitze",
            "Marcel", "Bart", "Jeroen", "Hidde"],
    "young": ["Daan", "Sem", "Lucas", "Finn", "Bram", "Thijs", "Ruben", "Jesse", "Milan",
              "Levi", "Luuk", "Noah", "Stijn", "Gijs", "Tim", "Lars", "Jan", "Tom", "Sven",
              "Joris", "Kees", "Mats", "Siem", "Jurre", "Teun", "Hugo", "Bas", "Mees", "Julian",
              "Olivier", "Jayden", "Dex", "Sepp", "Wessel", "Tijn", "Floris", "Pepijn"],
}
_NL_V = {
    "old": ["Anna", "Maria", "Johanna", "Wilhelmina", "Hendrika", "Cornelia", "Elisabeth",
            "Catharina", "Margaretha", "Geertruida", "Aaltje", "Grietje", "Jantje", "Trijntje",
            "Aleida", "Jacoba", "Gerda", "Alida", "Harmke", "Geesje", "Roelfien", "Trientje",
            "Klaasje", "Hillegonda", "Berendina", "Fokje", "Jeltje", "Antje"],
    "mid": ["Petra", "Linda", "Sandra", "Esther", "Monique", "Marieke", "Anja", "Ingrid",
            "Miranda", "Saskia", "Karin", "Wendy", "Sanne", "Anna Maria", "Maria", "Renate",
            "Marloes", "Ilse", "Janneke", "Hilde", "Mirjam", "Yvonne", "Jolanda", "Annemiek",
            "Brenda", "Natasja", "Femke", "Wietske", "Ellen", "Bianca", "Chantal", "Sietske"],
    "young": ["Emma", "Tess", "Sophie", "Julia", "Lotte", "Femke", "Noor", "Sanne", "Iris",
              "Lisa", "Eva", "Anna", "Fleur", "Zoë", "Isa", "Fenna", "Chloë", "Roos", "Saar",
            "Evi", "Lieke", "Mila", "Nina", "Yara", "Jasmijn", "Esmee", "Romy", "Britt", "Maud",
            "Liv", "Feline", "Anouk", "Sara", "Demi"],
}
GIVEN: dict[tuple[str, str], list[str]] = {
    ("MA", "M"): ["Mohammed", "Youssef", "Ahmed", "Mustafa", "Karim", "Said", "Rachid",
                  "Hamza", "Bilal", "Ayoub", "Ilias", "Adam", "Anouar", "Nordin", "Abdelkader",
                  "Driss", "Hassan", "Othman", "Soufiane", "Zakaria", "Yassine", "Redouan",
                  "Mourad", "Tarik"],
    ("MA", "V"): ["Fatima", "Khadija", "Naima", "Malika", "Samira", "Nadia", "Yasmina",
                  "Soukaina", "Ikram", "Salma", "Aya", "Imane", "Hafsa", "Meryem", "Latifa",
                  "Zineb", "Houda", "Loubna", "Rachida", "Hanane", "Siham", "Wafae", "Najat",
                  "Asmae"],
    ("TR", "M"): ["Mehmet", "Ahmet", "Mustafa", "Emre", "Hüseyin", "İbrahim", "Murat", "Can",
                  "Yusuf", "Ömer", "Burak", "Kerem", "Serkan", "Oğuz", "Hasan", "Ali", "Cem",
                  "Erkan", "Gökhan", "Hakan", "Levent", "Orhan", "Selim", "Volkan", "Tolga"],
    ("TR", "V"): ["Ayşe", "Fatma", "Emine", "Elif", "Zeynep", "Hatice", "Büşra", "Gül",
                  "Merve", "Özlem", "Esra", "Şule", "Derya", "Sevgül", "Aysel", "Dilek",
                  "Filiz", "Hülya", "Nur", "Sibel", "Tuğba", "Yasemin", "Ebru", "Gülsen"],
    ("SR", "M"): ["Ravi", "Rajesh", "Sunil", "Dinesh", "Romano", "Glenn", "Ricardo", "Anil",
                  "Shiwan", "Orlando", "Dave", "Kishan"],
    ("SR", "V"): ["Shanti", "Sarita", "Anita", "Reshma", "Priya", "Ingrid", "Jennifer",
                  "Sharda", "Romy", "Kavita", "Naomi", "Chantal"],
    ("ANT", "M"): ["Jurgen", "Ruthsel", "Shurendy", "Jairo", "Giovanni", "Sherwin", "Edsel",
                   "Rignald", "Curtley", "Jean-Paul"],
    ("ANT", "V"): ["Shudyanne", "Giselle", "Ruthmila", "Jacqueline", "Shanaira", "Sharine",
                   "Genaira", "Rose-Marie", "Natasha", "Yesenia"],
    ("other", "M"): ["Piotr", "Tomasz", "Ali", "Mohamed", "Reza", "Ahmad", "Thanh", "Stefan",
                     "Jean", "René", "André", "José", "Andrei", "Abdullahi", "Dawit"],
    ("other", "V"): ["Agnieszka", "Katarzyna", "Maryam", "Amina", "Fatemeh", "Linh", "Anaïs",
                     "Inês", "Hélène", "Ioana", "Sara", "Hodan", "Saba", "Noëlle"],
}

# Official name -> the call names agencies write down (roepnaam) or other transliterations.
NICKNAMES: dict[str, list[str]] = {
    "Cornelis": ["Kees", "Cor"], "Hendrik": ["Henk", "Henny"], "Johannes": ["Hans", "Jan", "Joop"],
    "Jacobus": ["Koos", "Jaap"], "Pieter": ["Piet"], "Willem": ["Wim"], "Gerrit": ["Gert"],
    "Wilhelmina": ["Willy", "Mien"], "Johanna": ["Jo", "Annie"], "Catharina": ["Toos", "Karin"],
    "Elisabeth": ["Els", "Liesbeth", "Bep"], "Margaretha": ["Greet", "Margriet"],
    "Theodorus": ["Theo"], "Franciscus": ["Frans"], "Antonius": ["Toon", "Ton"],
    "Adrianus": ["Adrie", "Janus"], "Gerardus": ["Gerard"], "Hendrika": ["Riek", "Henny"],
    "Maria": ["Marijke", "Ria", "Mieke"], "Aleida": ["Alie"], "Geertruida": ["Truus"],
    "Nicolaas": ["Klaas", "Niek"], "Bernardus": ["Ben"], "Albertus": ["Bert"],
    "Hendrikus": ["Henk"], "Cornelia": ["Corrie", "Nel"], "Jacoba": ["Coby"],
    "Mohammed": ["Mohamed", "Mo"], "Youssef": ["Yousef", "Joessef"], "Mustafa": ["Mustapha"],
    "Fatima": ["Fatma"], "Khadija": ["Khadidja"], "Rachid": ["Rashid"], "Said": ["Saïd"],
    "Hüseyin": ["Huseyin"], "Thanh": ["Tan"], "Anna Maria": ["Ans", "Annemarie"],
}

# Characters cp1252 (and many old systems) cannot hold, and what agencies type instead.
_TRANSLIT = str.maketrans({"ı": "i", "İ": "I", "ş": "s", "Ş": "S", "ğ": "g", "Ğ": "G",
                           "ł": "l", "Ł": "L", "ß": "ss", "ć": "c", "ś": "s", "č": "c"})


def strip_diacritics(text: str) -> str:
    """Öztürk -> Ozturk, Yılmaz -> Yilmaz: what a system without diacritics stores."""
    if text.isascii():
        return text
    text = text.translate(_TRANSLIT)
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def to_cp1252(text: str) -> str:
    """Keep what cp1252 can hold (ö, ü, ç, ë, é) and transliterate the rest (ş, ı, ğ)."""
    if text.isascii():
        return text
    out = []
    for ch in text:
        try:
            ch.encode("cp1252")
            out.append(ch)
        except UnicodeEncodeError:
            out.append(strip_diacritics(ch))
    return "".join(out)


# Groningen-like neighbourhood names, first the real wijken, then buurten for big cities.
NEIGHBOURHOOD_NAMES = [
    "Centrum", "Oosterpark", "Beijum", "Lewenborg", "Vinkhuizen", "Selwerd", "Paddepoel",
    "Hoogkerk", "De Wijert", "Helpman", "Corpus den Hoorn", "Korrewegwijk", "De Hoogte",
    "Schildersbuurt", "Zeeheldenbuurt", "Rivierenbuurt", "Herewegbuurt", "Laanhuizen",
    "Vogelbuurt", "Indische Buurt", "Hoornse Meer", "Hoornse Park", "Piccardthof",
    "Ruischerbrug", "Noorddijk", "Engelbert", "Meerstad", "Reitdiep", "De Held", "Gravenburg",
    "Drielanden", "Ulgersmaborg", "Kostverloren", "Van Starkenborgh", "Tuinwijk", "Oranjewijk",
    "Noorderplantsoenbuurt", "Hortusbuurt", "Professorenbuurt", "Grunobuurt", "Sterrebos",
    "Europapark", "Zuiderpark", "Damsterbuurt", "Oosterhoogebrug", "De Linie", "Eemskanaalzone",
    "Hunzeboord", "Klein Martijn", "Villabuurt", "Badstratenbuurt", "Kop van Oost",
    "Oosterpoort", "Florabuurt", "Bloemenbuurt", "Hoendiep", "Dorkwerd", "Zernike",
    "Euvelgunne", "Middelbert", "Ter Borch", "Ter Aard", "Westpark", "Roodehaan",
]

STREET_ROOTS = [
    "Ooster", "Heere", "Vecht", "Damster", "Korre", "Paterswoldse", "Helperzoom",
    "Zuider", "Noorder", "Wester", "Ubbo Emmius", "Rembrandt", "Vermeer", "Frans Hals",
    "Jozef Israëls", "Mesdag", "Merel", "Lijster", "Vink", "Zwaluw", "Reiger", "Kievit",
    "Roos", "Tulp", "Lelie", "Anjer", "Iris", "Berken", "Eiken", "Linden", "Wilgen", "Esdoorn",
    "Eems", "Hunze", "Drentse Aa", "Reitdiep", "Schelde", "Maas", "Rijn", "Waal", "IJssel",
    "Ameland", "Texel", "Vlieland", "Terschelling", "Schiermonnikoog", "Drenthe", "Friesland",
    "Zeeland", "Utrecht", "Bach", "Mozart", "Beethoven", "Chopin", "Sweelinck", "De Ruyter",
    "Tromp", "Piet Hein", "Van Speijk", "Karel Doorman", "Van Heemskerck", "Lodewijk",
    "Aletta Jacobs", "Kapteyn", "Zernike", "Bernoulli", "Huygens", "Lorentz", "Kamerlingh Onnes",
    "Java", "Sumatra", "Borneo", "Celebes", "Bali", "Madoera", "Atjeh", "Molukken",
    "Gorecht", "Helper", "Wijert", "Hoogkerk", "Leeuwarder", "Zuidhorner", "Aduarder",
]
STREET_SUFFIXES = ["straat", "laan", "weg", "plein", "dreef", "hof", "kade", "pad", "singel",
                   "diep"]
