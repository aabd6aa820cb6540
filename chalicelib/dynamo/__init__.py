"""The DynamoDB side of the lead store: item formats and the one place that translates boto errors."""
