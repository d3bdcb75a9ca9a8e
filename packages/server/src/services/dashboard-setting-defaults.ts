/**
 * Defaults for the settings the admin dashboard edits that no feature of ours reads yet
 * (contract 60 §5 seed list). Seeding them lets the dashboard save every field; values follow
 * Cloudreve's own defaults. Merged under `defaultSettings()`, which wins on overlap.
 */
function queueDefaults(): Record<string, string> {
  const out: Record<string, string> = {};
  const queues: Record<string, { workers: number; maxExecution: number; retries: number }> = {
    media_meta: { workers: 30, maxExecution: 600, retries: 1 },
    thumb: { workers: 15, maxExecution: 300, retries: 0 },
    recycle: { workers: 5, maxExecution: 900, retries: 0 },
    io_intense: { workers: 15, maxExecution: 86400, retries: 5 },
    remote_download: { workers: 5, maxExecution: 86400, retries: 5 },
  };
  for (const [q, d] of Object.entries(queues)) {
    out[`queue_${q}_worker_num`] = String(d.workers);
    out[`queue_${q}_max_execution`] = String(d.maxExecution);
    out[`queue_${q}_backoff_factor`] = '2';
    out[`queue_${q}_backoff_max_duration`] = '60';
    out[`queue_${q}_max_retry`] = String(d.retries);
    out[`queue_${q}_retry_delay`] = '0';
  }
  return out;
}

export function dashboardSettingDefaults(): Record<string, string> {
  return {
    pwa_small_icon: '/static/img/favicon.ico',
    pwa_medium_icon: '/static/img/logo192.png',
    pwa_large_icon: '/static/img/logo512.png',
    thumb_gc_after_gen: '0',
    thumb_builtin_max_size: '78643200',
    thumb_vips_max_size: '78643200',
    thumb_vips_path: 'vips',
    thumb_ffmpeg_max_size: '10737418240',
    thumb_ffmpeg_extra_args: '-hwaccel auto',
    thumb_libreoffice_path: 'soffice',
    thumb_libreoffice_max_size: '78643200',
    thumb_music_cover_max_size: '1073741824',
    thumb_libraw_path: 'simple_dcraw',
    thumb_libraw_max_size: '78643200',
    media_meta_exif: '1',
    media_meta_exif_size_local: '1073741824',
    media_meta_exif_size_remote: '104857600',
    media_meta_exif_brute_force: '1',
    media_meta_music: '1',
    media_meta_music_size_local: '1073741824',
    // Spelled as CE and its dashboard spell it.
    media_exif_music_size_remote: '1073741824',
    media_meta_ffprobe: '0',
    media_meta_ffprobe_path: 'ffprobe',
    media_meta_ffprobe_size_local: '0',
    media_meta_ffprobe_size_remote: '0',
    media_meta_geocoding: '0',
    media_meta_geocoding_mapbox_ak: '',
    temp_path: 'temp',
    cron_garbage_collect: '@every 30m',
    cron_entity_collect: '@every 15m',
    cron_oauth_cred_refresh: '@every 230h',
    slave_api_timeout: '60',
    chunk_retries: '5',
    use_temp_chunk_buffer: '1',
    max_parallel_transfer: '4',
    viewer_session_timeout: '36000',
    encrypt_master_key_vault: 'setting',
    encrypt_master_key_file: '',
    fs_event_push_enabled: '1',
    fs_event_push_max_age: '1209600',
    fs_event_push_debounce: '5',
    fts_meilisearch_endpoint: '',
    fts_meilisearch_api_key: '',
    fts_meilisearch_page_size: '20',
    fts_meilisearch_embed_enabled: '0',
    fts_meilisearch_embed_config: '{}',
    fts_chunk_size: '2000',
    fts_tika_endpoint: '',
    fts_tika_exts: 'pdf,doc,docx,xls,xlsx,ppt,pptx,odt,ods,odp,rtf,txt,md,html,htm,epub,csv',
    fts_tika_max_file_size: '26214400',
    payment: '{}',
    storage_products: '[]',
    group_sell_data: '[]',
    ...queueDefaults(),
  };
}
