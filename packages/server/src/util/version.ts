/** The backend version reported by /site/ping and sent to nodes (nodes refuse a different one). */
export const VERSION = '4.0.0';
