// Replaces @cornerstonejs/dicom-image-loader's imageLoader/isColorConversionRequired.js (see
// build.mjs). The loader's own test for YBR_FULL_422 expects 1.5 bytes a pixel, so an
// uncompressed YBR_FULL_422 frame (two bytes a pixel: Y1 Y2 Cb Cr for each pair, PS3.3
// C.7.6.3.1.2) went out unconverted and drew as noise. Otherwise the same as the original.
export default function isColorConversionRequired(imageFrame) {
  if (imageFrame === undefined) {
    return false;
  }
  const { rows, columns, photometricInterpretation, pixelDataLength, planarConfiguration } = imageFrame;
  if (pixelDataLength === 4 * columns * rows) {
    return false;
  }
  if (photometricInterpretation === 'PALETTE COLOR') {
    return true;
  }
  if (photometricInterpretation.endsWith('420')) {
    return pixelDataLength === (3 * Math.ceil(columns / 2) + Math.floor(columns / 2)) * rows;
  }
  if (photometricInterpretation.endsWith('422')) {
    if (pixelDataLength === 2 * columns * rows) return true; // uncompressed, subsampled
    return (
      pixelDataLength ===
      (3 * Math.ceil(columns / 2) + Math.floor(columns / 2)) * Math.ceil(rows / 2) + Math.floor(rows / 2) * columns
    );
  }
  return photometricInterpretation !== 'RGB' || planarConfiguration === 1;
}
