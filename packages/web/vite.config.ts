import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react-swc';

// `npm run dev -w @cloudreve-ts/web` proxies the API to a server started with `npm start`.
const backend = process.env.CR_DEV_BACKEND ?? 'http://127.0.0.1:5212';

export default defineConfig({
  plugins: [react()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    chunkSizeWarningLimit: 1200,
    rollupOptions: {
      output: {
        manualChunks: {
          react: ['react', 'react-dom', 'react-router'],
          mui: ['@mui/material', '@emotion/react', '@emotion/styled'],
        },
      },
    },
  },
  server: { proxy: { '/api': backend } },
});
