class CriterionCodeConverter:
    regex = r"[0-9]{1,3}\.[0-9]{1,3}"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value
