#!/usr/bin/env node
// The real Bluesky App View (@atproto/bsky, started by @atproto/dev-env) with a benchmark panel seeded
// through a real PDS with the real client, for tests/test_appview_real.py.
//
// Environment: DB_POSTGRES_URL (postgresql://user@127.0.0.1:port/db) and REDIS_HOST (127.0.0.1:port).
// Every run gets fresh schemas (the PLC directory and the PDS keep their state in memory, so an App View
// schema from an earlier run would name DIDs nobody can resolve); they are dropped on exit.
//
// stdout: one line `APPVIEW <url>`, then one line `TRUTH <json>` (what was seeded: accounts, posts with
// their expected kind / format / classes, comments, expected conversation metrics), then `READY`.
// The process stays up until it is killed (SIGTERM / SIGINT) or its stdin closes.
'use strict'

const path = require('node:path')
const { TestNetwork } = require('@atproto/dev-env')

const DAY = 24 * 3600 * 1000
const NOW = Date.now()
const PERIOD_DAYS = 60 // the config's period: the last 60 days up to tomorrow
const log = (...args) => console.error('[appview]', ...args)

function isoDaysAgo(days, minutes = 0) {
  return new Date(NOW - days * DAY - minutes * 60 * 1000).toISOString()
}

function dateOnly(ms) {
  return new Date(ms).toISOString().slice(0, 10)
}

async function main() {
  const dbPostgresUrl = process.env.DB_POSTGRES_URL
  if (!dbPostgresUrl || !process.env.REDIS_HOST) {
    throw new Error('DB_POSTGRES_URL and REDIS_HOST must be set')
  }
  // Letters and underscores only (the App View refuses anything else in a schema name).
  const schema = `bench_${Array.from({ length: 12 }, () => 'abcdefghijklmnopqrstuvwxyz'[Math.floor(Math.random() * 26)]).join('')}`
  const network = await TestNetwork.create({ dbPostgresUrl, dbPostgresSchema: schema })
  let closing = false
  const shutdown = async (code) => {
    if (closing) return
    closing = true
    try {
      await network.close()
      await dropSchemas(network, schema)
    } catch (err) {
      log('close failed:', err && err.message)
    }
    process.exit(code)
  }
  process.on('SIGTERM', () => shutdown(0))
  process.on('SIGINT', () => shutdown(0))
  process.stdin.on('end', () => shutdown(0))
  process.stdin.resume()

  const truth = await seed(network)
  await network.processAll()
  const url = network.bsky.url.replace('localhost', '127.0.0.1')
  truth.appview = url
  process.stdout.write(`APPVIEW ${url}\n`)
  process.stdout.write(`TRUTH ${JSON.stringify(truth)}\n`)
  process.stdout.write('READY\n')
}

async function dropSchemas(network, schema) {
  // Each service keeps its own schema; the App View's and Ozone's are named after ours.
  const pg = require(require.resolve('pg', { paths: [path.dirname(require.resolve('@atproto/bsky'))] }))
  const client = new pg.Client({ connectionString: process.env.DB_POSTGRES_URL })
  await client.connect()
  for (const name of [`appview_${schema}`, `ozone_${schema}`, schema]) {
    await client.query(`DROP SCHEMA IF EXISTS "${name}" CASCADE`)
  }
  await client.end()
}

// -------------------------------------------------------------------------------- the panel

async function seed(network) {
  const sc = network.getSeedClient()
  const accounts = {}
  const make = async (key, displayName, selfLabels) => {
    const handle = `${key}.test`
    const account = await sc.createAccount(key, { handle, email: `${key}@example.com`, password: 'hunter2' })
    await sc.createProfile(account.did, displayName, `${displayName}: benchmark test account`, selfLabels)
    accounts[key] = { key, handle, did: account.did, name: displayName }
    return account.did
  }
  // Panel: own brand listed by handle, peer by handle, exemplar by DID; the own brand's affiliate by handle.
  const brand = await make('brand', 'Our Brand')
  const peer = await make('peer', 'Peer Brand')
  const exemplar = await make('exemplar', 'Exemplar Brand')
  const help = await make('brandhelp', 'Our Brand Help')
  const fan1 = await make('fan1', 'Fan One')
  const fan2 = await make('fan2', 'Fan Two')
  const fan3 = await make('fan3', 'Fan Three')
  const shy = await make('shyfan', 'Shy Fan', ['!no-unauthenticated']) // opted out of logged-out apps

  const posts = [] // expected stored posts: {account, post_id, kind, format, ...}
  const threads = [] // comment trees seeded under panel posts
  const expect = (account, ref, fields) => {
    const post = {
      account, post_id: ref.uriStr, kind: 'original', format: 'text', ref_author_class: null,
      fan_repost: false, pinned: false, in_period: true, ...fields,
    }
    posts.push(post)
    return post
  }
  const at = (days, minutes = 0) => ({ createdAt: isoDaysAgo(days, minutes) })

  // Posts of people and other brands, to be reposted, quoted and answered.
  const fanPost = await sc.post(fan1, 'I love this brand, my third order this year!', undefined, undefined, undefined, at(30))
  const fan2Post = await sc.post(fan2, 'Anyone know when the spring line ships?', undefined, undefined, undefined, at(29))
  const helpPost = await sc.post(help, 'Support hours this week: 9-18 every day.', undefined, undefined, undefined, at(28))
  const peerPost = await sc.post(peer, 'Peer Brand: our new store opens Friday.', undefined, undefined, undefined, at(27))
  const exemplarPost = await sc.post(exemplar, 'Exemplar: how we answer every customer within an hour.',
    undefined, undefined, undefined, at(26))
  const fan3Post = await sc.post(fan3, 'Unboxing my new jacket from Exemplar.', undefined, undefined, undefined, at(25))
  expect('peer', peerPost.ref, {})
  expect('exemplar', exemplarPost.ref, {})

  // The own brand's timeline, oldest first.
  const outside = await sc.post(brand, 'A post from before the period.', undefined, undefined, undefined, at(PERIOD_DAYS + 30))
  expect('brand', outside.ref, { in_period: false })
  const pinned = await sc.post(brand, 'Welcome to Our Brand! Read this first.', undefined, undefined, undefined, at(45))
  expect('brand', pinned.ref, { pinned: true })
  const text = await sc.post(brand, 'Our spring collection is here. What do you think? #spring',
    [{ index: { byteStart: 50, byteEnd: 57 }, features: [{ $type: 'app.bsky.richtext.facet#tag', tag: 'spring' }] }],
    undefined, undefined, at(20))
  expect('brand', text.ref, {})
  const image = await sc.uploadFile(brand, path.join(path.dirname(require.resolve('@atproto/dev-env/package.json')),
    'assets', 'key-landscape-small.jpg'), 'image/jpeg')
  const images = await sc.post(brand, 'Behind the scenes at the studio.', undefined, [image], undefined, at(19))
  expect('brand', images.ref, { format: 'image', media_count: 1 })
  const external = (uri, title) => ({
    embed: { $type: 'app.bsky.embed.external', external: { uri, title, description: title } },
  })
  const link = await sc.post(brand, 'Shop the collection', undefined, undefined, undefined,
    { ...at(18), ...external('https://shop.example.com/spring', 'Spring collection') })
  expect('brand', link.ref, { format: 'link' })
  const gif = await sc.post(brand, 'Friday mood', undefined, undefined, undefined,
    { ...at(17), ...external('https://media.tenor.com/abc/friday.gif?hh=200&ww=300', 'Friday GIF') })
  expect('brand', gif.ref, { format: 'gif' })
  const videoBlob = await sc.agent.com.atproto.repo.uploadBlob(tinyMp4(), {
    encoding: 'video/mp4', headers: sc.getHeaders(brand),
  })
  const video = await sc.post(brand, 'Our 10-second ad', undefined, undefined, undefined, {
    ...at(16), embed: { $type: 'app.bsky.embed.video', video: videoBlob.data.blob, aspectRatio: { width: 16, height: 9 } },
  })
  expect('brand', video.ref, { format: 'video' })
  const quote = await sc.post(brand, 'Thank you for the kind words!', undefined, undefined, fanPost.ref, at(15))
  expect('brand', quote.ref, { kind: 'quote', ref_author_class: 'fan', fan_repost: true })
  const repost = async (by, subject, days, fields) => {
    const ref = await sc.repost(by, subject, at(days))
    return expect(accountKey(accounts, by), ref, { kind: 'repost', ...fields })
  }
  await repost(brand, fanPost.ref, 14, { ref_author_class: 'fan', fan_repost: true })
  await repost(brand, helpPost.ref, 13, { ref_author_class: 'affiliate' })
  await repost(brand, peerPost.ref, 12, { ref_author_class: 'panel' })
  await repost(brand, exemplarPost.ref, 11, { ref_author_class: 'panel' })
  const reply = await sc.reply(brand, fan2Post.ref, fan2Post.ref, 'Next Monday! Thanks for asking.', undefined, undefined, at(10))
  expect('brand', reply.ref, { kind: 'reply', reply_to_others: true })
  const threadStart = await sc.post(brand, 'A thread about our materials (1/2)', undefined, undefined, undefined, at(9))
  expect('brand', threadStart.ref, {})
  // Peers repost the own brand (listed by handle) and each other.
  await repost(peer, text.ref, 8, { ref_author_class: 'panel' })
  await repost(exemplar, peerPost.ref, 8, { ref_author_class: 'panel' })
  await repost(exemplar, fan3Post.ref, 7, { ref_author_class: 'fan', fan_repost: true })
  await sc.updateProfile(brand, { ...profileRecord(sc, brand), pinnedPost: pinned.ref.raw })


  // Comments (replies under panel posts). `by` writes, `cls` is the class the report must give the author.
  // A panel account's comment is also a post of its own feed: a reply (or, under its own post, a thread).
  const panelKeys = ['brand', 'peer', 'exemplar']
  const comment = async (post, parent, by, cls, textValue, minutes) => {
    const createdAt = new Date(Date.parse(post.createdAt) + minutes * 60 * 1000).toISOString()
    const { ref } = await sc.reply(by, post.ref, parent.ref, textValue, undefined, undefined, { createdAt })
    const key = accountKey(accounts, by)
    threads.push({ post: post.ref.uriStr, ref, by: key, cls, parent: parent === post ? null : parent.ref.uriStr })
    if (panelKeys.includes(key)) {
      const own = parent.by === by
      expect(key, ref, own ? { self_reply: true } : { kind: 'reply', reply_to_others: true })
    }
    return { ref, by, createdAt: post.createdAt }
  }
  const withTime = (post, by, days) => ({ ref: post.ref, by, createdAt: isoDaysAgo(days) })
  const onText = withTime(text, brand, 20)
  const c1 = await comment(onText, onText, fan1, 'fan', 'Love it! When does it ship?', 10)
  await comment(onText, c1, brand, 'self', 'Next week, thank you!', 40)
  await comment(onText, c1, fan1, 'fan', 'Great, thanks!', 60) // the fan again, under its own comment
  await comment(onText, onText, fan2, 'fan', 'The prices are too high this season.', 20)
  const c3 = await comment(onText, onText, fan3, 'fan', 'Is there a size guide?', 30)
  await comment(onText, c3, brand, 'self', 'Yes: see the link in our bio.', 90)
  await comment(onText, onText, help, 'affiliate', 'Our help desk is open 9-18 for any question.', 35)
  await comment(onText, onText, peer, 'panel', 'Congratulations from Peer Brand!', 45)
  await comment(onText, onText, shy, 'fan', 'Nice colours.', 50) // opted out: kept as a fan, without name or text
  const onImages = withTime(images, brand, 19)
  const c5 = await comment(onImages, onImages, fan2, 'fan', 'Where is this studio?', 15)
  await comment(onImages, c5, brand, 'self', 'In Lyon!', 200)
  await comment(onImages, onImages, exemplar, 'panel', 'Beautiful work.', 25)
  const onThread = withTime(threadStart, brand, 9)
  await comment(onThread, onThread, brand, 'self', 'All cotton is organic (2/2)', 5) // the thread goes on
  const onPeer = withTime(peerPost, peer, 27)
  const c7 = await comment(onPeer, onPeer, fan3, 'fan', 'Which street?', 5)
  await comment(onPeer, c7, peer, 'self', 'Rue de la Paix.', 30)
  await comment(onPeer, onPeer, fan1, 'fan', 'See you there', 8)
  await comment(onPeer, onPeer, brand, 'panel', 'Good luck from Our Brand!', 12)
  return buildTruth(accounts, posts, threads)
}

function accountKey(accounts, did) {
  return Object.values(accounts).find((a) => a.did === did).key
}

function profileRecord(sc, did) {
  const profile = sc.profiles[did]
  return {
    $type: 'app.bsky.actor.profile',
    displayName: profile.displayName,
    description: profile.description,
    avatar: profile.avatar,
  }
}

function tinyMp4() {
  // An ISO BMFF header (ftyp box): enough for the PDS to store a video/mp4 blob; nobody plays it.
  const ftyp = Buffer.from('000000186674797069736f6d0000020069736f6d69736f32', 'hex')
  return Buffer.concat([ftyp, Buffer.alloc(64)])
}

// -------------------------------------------------------------------------------- the truth

function buildTruth(accounts, posts, threads) {
  const panel = [
    { key: 'brand', role: 'own', label: 'Our Brand', config_id: accounts.brand.handle,
      affiliates: [accounts.brandhelp.handle] },
    { key: 'peer', role: 'peer', label: 'Peer Brand', config_id: accounts.peer.handle, affiliates: [] },
    { key: 'exemplar', role: 'exemplar', label: 'Exemplar Brand', config_id: accounts.exemplar.did, affiliates: [] },
  ]
  const metrics = {}
  for (const member of panel) {
    const mine = threads.filter((c) => posts.find((p) => p.post_id === c.post && p.account === member.key))
    const top = mine.filter((c) => c.parent === null)
    const fans = top.filter((c) => c.cls === 'fan')
    const answered = fans.filter((c) => mine.some((a) => a.parent === c.ref.uriStr && a.cls === 'self'))
    const sampledPosts = new Set(mine.map((c) => c.post))
    metrics[member.key] = {
      fan_comments: fans.length,
      answered: answered.length,
      comment_reply_rate: fans.length ? answered.length / fans.length : null,
      // replyCount counts direct replies only: every direct reply is fetched, so coverage is exactly 1.
      comment_coverage: top.length ? 1 : null,
      comments: mine.length,
      top_level_comments: top.length,
      sampled_posts: sampledPosts.size,
    }
  }
  return {
    period: { start: dateOnly(NOW - PERIOD_DAYS * DAY), end: dateOnly(NOW + DAY) },
    accounts: Object.values(accounts),
    panel,
    posts,
    comments: threads.map((c) => ({ post_id: c.post, uri: c.ref.uriStr, cid: c.ref.cidStr, by: c.by, cls: c.cls,
      parent_uri: c.parent })),
    metrics,
  }
}

main().catch((err) => {
  console.error(err && err.stack ? err.stack : err)
  process.exit(1)
})
