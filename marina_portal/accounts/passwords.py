"""How guessable a new password is: zxcvbn's estimate, taught French common words and the person's own facts.

zxcvbn (a maintained port of Dropbox's estimator) knows English words, names and common passwords; French
boaters pick French ones (« motdepasse », « soleil », « bateau »…), and everyone picks their own name or
email, so both are given to it as extra words. The refusal says why, and what would be better.
"""

import re
import unicodedata

from flask import has_request_context
from flask_babel import gettext

from marina_portal.core.i18n import N_, Translatable

MIN_LENGTH = 10
MIN_SCORE = 3  # zxcvbn's 0–4 scale: 3 is "safely unguessable" (about 10^8 guesses and more)

# Frequent French passwords and words, and the marina's own vocabulary.
FRENCH_WORDS = """
motdepasse motdepass mdp azerty azertyuiop qwertz bonjour bonsoir salut soleil chouchou doudou loulou
nounours bisous cheval chien chat chaton tigre lapin papillon princesse amour jetaime coucou coeur
marseille paris lyon toulouse bordeaux nantes nice montpellier perpignan carcassonne narbonne france
francais liberte merci bienvenue secret motpasse password football olympique allezlom psg
dimanche lundi mardi mercredi jeudi vendredi samedi janvier fevrier mars avril mai juin juillet aout
septembre octobre novembre decembre printemps ete automne hiver famille maison jardin enfant bebe
bateau voilier voile navire marin marine mer ocean plage port ponton quai capitaine capitainerie
plaisance plaisancier ancre amarre vague vent bouee catamaran moteur pecheur peche phare
""".split()


class WeakPassword(Translatable):
    """A new password refused, with the reason and the advice in words (each translated where shown)."""

    def translated(self):
        if not has_request_context():
            return str(self)
        return gettext(self.message, **{k: gettext(v) if isinstance(v, str) else v for k, v in self.fields.items()})


ADVICE = N_(
    "Préférez une phrase d'au moins quatre mots sans rapport entre eux, que vous seul connaissez, "
    "ou ajoutez un ou deux mots peu courants."
)
REASONS = {
    "personal": N_("il reprend votre nom, votre adresse mail ou le nom du port"),
    "common": N_("c'est un mot de passe ou un mot très courant"),
    "spatial": N_("c'est une suite de touches voisines du clavier"),
    "sequence": N_("c'est une suite de chiffres ou de lettres (1234, abcd…)"),
    "repeat": N_("il répète les mêmes caractères"),
    "date": N_("il repose sur une date ou une année"),
    "short": N_("il est trop prévisible"),
}


def _plain(text):
    decomposed = unicodedata.normalize("NFKD", text or "")
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).lower()


def facts_of(*texts):
    """Words a guesser would try first for this person: each text whole, and its pieces (email parts, names)."""
    found = []
    for text in texts:
        plain = _plain(text).strip()
        if not plain:
            continue
        found.append(plain)
        found += [piece for piece in re.split(r"[^a-z0-9]+", plain) if len(piece) >= 3]
    return list(dict.fromkeys(found))


def weakness(password, facts=()):
    """A WeakPassword saying why and what would be better, or None when the password is strong enough."""
    from zxcvbn import zxcvbn  # loads its word lists (a few MB): only when a password is chosen

    password = password or ""
    if len(password) < MIN_LENGTH:
        return WeakPassword(N_("Le mot de passe doit contenir au moins %(n)s caractères."), n=MIN_LENGTH)
    personal = set(facts_of(*facts))
    result = zxcvbn(password[:100], user_inputs=list(personal) + FRENCH_WORDS)
    if _mostly_personal(password, personal):
        reason = "personal"
    elif result["score"] < MIN_SCORE:
        reason = _main_reason(result["sequence"], personal)
    else:
        return None
    return WeakPassword(
        N_("Ce mot de passe est trop facile à deviner : %(reason)s. %(advice)s"),
        reason=REASONS[reason],
        advice=ADVICE,
    )


def _mostly_personal(password, personal):
    """True when the person's own facts make up half the password or more (« jeandupont1 »), which zxcvbn
    alone may rate well: it counts « dupont » as one word among many, a guesser who knows you would not."""
    letters = re.sub(r"[^a-z0-9]", "", _plain(password))
    rest = letters
    for piece in sorted(personal, key=len, reverse=True):
        rest = rest.replace(re.sub(r"[^a-z0-9]", "", piece), "") if len(piece) >= 3 else rest
    return len(rest) * 2 <= len(letters)


def _main_reason(matches, personal):
    """The kind of the longest guessable piece of the password."""
    pieces = [m for m in matches if m["pattern"] != "bruteforce"]
    if not pieces:
        return "short"
    longest = max(pieces, key=lambda m: len(m["token"]))
    if longest["pattern"] == "dictionary":
        is_personal = longest.get("dictionary_name") == "user_inputs" and _plain(longest["matched_word"]) in personal
        return "personal" if is_personal else "common"
    return {"spatial": "spatial", "sequence": "sequence", "repeat": "repeat", "date": "date"}.get(
        longest["pattern"], "short"
    )
